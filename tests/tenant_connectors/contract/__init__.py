"""Contract suite: every tenant connector against the sandbox tenant over loopback HTTP."""
