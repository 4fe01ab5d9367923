"""E-mail addresses from outside: one length rule for every place that takes one.

``email_validator`` (behind pydantic's ``EmailStr`` and the directory files' e-mail
columns) checks the syntax and the whole address's 254 octets, but — outside its
"strict" mode, which pydantic does not use — not RFC 5321's limit of 64 before the
``@``. A longer local part passes intake and fails later, at delivery, where a mail
server refuses it and nobody is there to correct it. So the limits are checked here, for
a lead's ``contact.email`` (API and lead files), a rep's and a partner's ``email`` (the
directory files) and ``[email] from_address`` (the configuration):

* :data:`MAX_LOCAL_PART`: at most 64 characters before the ``@`` (RFC 5321 §4.5.3.1.1);
* :data:`MAX_ADDRESS`: at most 254 characters in all (§4.5.3.1.3: a path of 256 with its
  angle brackets).

Characters, not octets, so the OpenAPI pattern (``[^@]{1,64}@``) says exactly the same.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_LOCAL_PART = 64
MAX_ADDRESS = 254


def length_problem(address: str) -> str | None:
    """What makes ``address`` too long for RFC 5321, or None."""
    local = address.rpartition("@")[0]
    if len(local) > MAX_LOCAL_PART:
        return (
            f"the part before the @ has {len(local)} characters; at most {MAX_LOCAL_PART} "
            "are allowed (RFC 5321)"
        )
    if len(address) > MAX_ADDRESS:
        return (
            f"the address has {len(address)} characters; at most {MAX_ADDRESS} are allowed "
            "(RFC 5321)"
        )
    return None


def beyond_ascii_problem(address: str) -> str | None:
    """Why mail to ``address`` cannot go through a server without SMTPUTF8, or None.

    A domain beyond ASCII has an ASCII form (:func:`smtp_address`); letters beyond ASCII
    before the ``@`` have none. The sender (``aiosmtplib``) then needs the server to offer
    SMTPUTF8, and every server after it to take it too — which leadbot cannot see from
    here: a refusal further along comes back as a bounce to the sender's mailbox, never to
    leadbot. So the directory imports refuse such an address unless ``[email] smtputf8``
    says the operator's mail path takes it (docs/email.md).
    """
    local = address.rpartition("@")[0]
    beyond = "".join(sorted({ch for ch in local if ord(ch) > 127}))
    if not beyond:
        return None
    return (
        f"the part before the @ has letters beyond ASCII ({beyond}): mail to it needs "
        "SMTPUTF8 from the mail server and every server after it; give an ASCII address, or "
        "set [email] smtputf8 = true if your mail path takes such addresses"
    )


def within_limits(address: str) -> str:
    """``address`` unchanged, or a ``ValueError`` saying which limit it exceeds (a pydantic
    validator: the 422 or the configuration error names the field)."""
    problem = length_problem(address)
    if problem:
        raise ValueError(problem)
    return address


def email_address(text: str) -> str:
    """``text`` as a checked, normalised address (the domain in lower case); a
    ``ValueError`` says why it is none (without quoting it: the caller names the value)."""
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return within_limits(result.normalized)


def smtp_address(address: str) -> str:
    """``address`` as it goes to the SMTP server: its domain in ASCII (the IDNA A-label).

    The directory keeps an internationalized domain as typed (``leads@müller.example``),
    but a server that does not offer SMTPUTF8 — many do not — takes only
    ``leads@xn--mller-kva.example``, which reaches the same mailbox. A part before the ``@``
    with other letters than ASCII has no such form and stays as it is.
    """
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return address
    return result.ascii_email or f"{result.local_part}@{result.ascii_domain}"
