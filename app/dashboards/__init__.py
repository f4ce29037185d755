"""Dashboards across years: a district and each of its streets, year by year, from the same sources as the reports."""
