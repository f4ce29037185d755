"""Operating the service: backups that restore."""
