"""The hub's business rules as plain async functions, callable without HTTP."""
