"""Why a partner was or was not offered a lead: the stored lead re-run through matching,
and its plain-text rendering for the CLI and every chat."""
