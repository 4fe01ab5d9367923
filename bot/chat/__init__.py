"""What a person can do from any chat: identities, the typed command model with its one
text grammar and its permission rules, and the executor that runs commands on the core."""
