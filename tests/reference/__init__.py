"""Independent references. Nothing here imports dltoolbox."""
