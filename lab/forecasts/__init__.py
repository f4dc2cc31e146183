"""Will this campaign reach its target? Trajectories, reference campaigns, the stored
forecast of each open campaign, its chart and the at-risk alerts (the model itself is
``lab.forecast``)."""
