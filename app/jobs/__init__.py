"""Review jobs on a queue (RQ on Redis): submitted by the API, run by `design-review worker`."""
