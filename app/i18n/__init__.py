"""What people read: the language a request is answered in and the Chinese problem catalogue."""
