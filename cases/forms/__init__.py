"""The cases app's forms, one module per area, beside the views that use them."""
