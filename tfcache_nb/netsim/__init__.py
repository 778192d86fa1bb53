"""netsim layer."""
