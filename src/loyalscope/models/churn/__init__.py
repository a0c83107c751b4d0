"""Churn-risk models validated out of time."""
