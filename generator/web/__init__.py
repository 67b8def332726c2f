"""The officer's page (`baocao serve`): the cycle from a browser, over the library calls
the commands make. A stage above collect and demo; only cli/ imports it."""
