"""widgets layer: the ipywidgets dashboard (dashboard.py), one module per panel."""
