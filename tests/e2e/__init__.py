"""The command line, end to end: in process for speed, in subprocesses where it matters."""
