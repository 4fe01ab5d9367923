"""How long the file imports take: generated partners, reps and leads into a fresh database.

    .venv/bin/python bench/imports.py                       # SQLite in a temp dir
    .venv/bin/python bench/imports.py --partners 2000 --leads 5000
    .venv/bin/python bench/imports.py --database postgresql://postgres@127.0.0.1/leadbot_bench

Run by hand, never inside the test suite. Each import is one `leadbot` process, timed from
outside, so the figures include start-up (about half a second).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATES = ["DE-BY", "DE-BW", "DE-NW", "DE-HE", "DE-NI", "DE-SN", "DE-BE", "DE-HH"]
PRODUCTS = ["X200", "X500", "C10", "S3"]


def write_partners(path: Path, count: int, rng: random.Random) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "name", "tier", "certifications", "country", "regions", "products"])
        for i in range(count):
            out.writerow(
                [
                    f"B-{i:05d}",
                    f"Bench Partner {i} GmbH",
                    rng.choice(["platinum", "gold", "silver", "registered"]),
                    "X-series:advanced;Cloud:basic;Security:advanced",
                    "DE",
                    ";".join(rng.sample(STATES, 2)),
                    ";".join(rng.sample(PRODUCTS, 2)),
                ]
            )


def write_reps(path: Path, partners: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["partner_id", "name", "email", "role", "language"])
        for i in range(partners):
            for j in range(2):
                out.writerow([f"B-{i:05d}", f"Rep {i}-{j}", f"rep{j}@b{i}.example", "sales", "de"])


def write_leads(path: Path, count: int, rng: random.Random) -> None:
    leads = [
        {
            "external_id": f"bench-{i}",
            "company": {
                "name": f"Bench Kunde {i} GmbH",
                "employees": rng.randint(5, 5000),
                "domain": f"kunde{i}.example",
                "address": {"postal_code": f"{rng.randint(10000, 99999)}", "country": "DE"},
            },
            "contact": {"email": f"einkauf@kunde{i}.example"},
            "interest": {"products": rng.sample(PRODUCTS, 1)},
            "consent": {"partner_contact": True},
        }
        for i in range(count)
    ]
    path.write_text(json.dumps(leads), encoding="utf-8")


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    print(f"  {elapsed:6.2f}s  {done.stdout.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--database", help="a database URL (default: SQLite in a temp dir)")
    options = parser.parse_args()
    rng = random.Random(7)
    leadbot = str(Path(sys.executable).with_name("leadbot"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = options.database or f"sqlite:///{work / 'bench.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
        env["LEADBOT_DATABASE__URL"] = url
        config = ["--config", str(ROOT / "bot.toml")]
        write_partners(work / "partners.csv", options.partners, rng)
        write_reps(work / "reps.csv", options.partners)
        write_leads(work / "leads.json", options.leads, rng)
        print(f"{options.partners} partners, {2 * options.partners} reps, {options.leads} leads")
        subprocess.run([leadbot, *config, "migrate"], env=env, check=True, capture_output=True)
        timed([leadbot, *config, "partners", "import", str(work / "partners.csv")], env)
        timed([leadbot, *config, "partners", "import", str(work / "partners.csv")], env)
        timed([leadbot, *config, "reps", "import", str(work / "reps.csv")], env)
        timed([leadbot, *config, "leads", "import", str(work / "leads.json")], env)
        timed([leadbot, *config, "leads", "import", str(work / "leads.json")], env)


if __name__ == "__main__":
    main()
