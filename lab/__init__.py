"""The lab: lever experiments, success forecasts of open campaigns, and the evidence
that organisations' outcomes give their methodology templates (anonymised)."""
