"""The demo's statistics (clustered intervals, Holm), its report tables and its chart."""
