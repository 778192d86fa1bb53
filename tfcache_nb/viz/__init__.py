"""viz layer: matplotlib charts (charts.py) and HTML views (html.py) for notebooks."""
