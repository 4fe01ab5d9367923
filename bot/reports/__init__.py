"""Reports for the manufacturer's staff: the pipeline and campaign ROI."""
