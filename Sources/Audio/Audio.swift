// Audio module: see the issue tracker for what lands here.
