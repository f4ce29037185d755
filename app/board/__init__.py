"""Public notice board (居务公开): server-rendered pages in Chinese for phones, no login."""
