"""Lead intake: the contract (:mod:`.schema`), validation problems, file import."""
