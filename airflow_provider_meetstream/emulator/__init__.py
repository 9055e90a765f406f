"""A local MeetStream-compatible server for demos and tests; imports nothing from the client side."""
