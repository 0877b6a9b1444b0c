"""Pure ``torch.nn.Module`` networks used by skastro's skorch estimators.

Each network takes its sizes as constructor arguments, so the estimators
expose them as ``module__<name>`` parameters that ``GridSearchCV`` tunes.
"""
