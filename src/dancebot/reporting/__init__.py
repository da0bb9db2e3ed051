"""The KPI report (RFC §22.1): ``dancebot report`` in the terminal and as an HTML page with
charts, and the weekly summary the worker sends to the admin chat."""
