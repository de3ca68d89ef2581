"""Pages of the services system: the portal's (residents, enterprises) and the workbench's (staff)."""
