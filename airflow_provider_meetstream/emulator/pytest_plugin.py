"""Pytest fixtures that run the MeetStream emulator on a free port."""
