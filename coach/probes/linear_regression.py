"""`linear_regression`: every probe is a shared family; its data are the shared generators."""
