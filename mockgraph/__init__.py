"""mockgraph: a contract-testing mock for Microsoft Graph, built from its documentation."""
