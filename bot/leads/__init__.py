"""The lead lifecycle: the state machine, distribution in waves, the exactly-once claim,
progress reports, staff actions and the durable timers that drive them."""
