"""One module per command; each defines ``command`` and a ``run_*`` function returning an exit code."""
