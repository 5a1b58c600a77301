"""Calibration: fitting the dynamics' coefficients on history (docs/calibration.md).

- :mod:`.data`: the shipped ParlGov and COW data (or a user's copy) and their sha256;
- :mod:`.elections`: the vote model on ParlGov (``factions calibrate elections``);
- :mod:`.arms`: Richardson arming on COW military spending (``factions calibrate arms``);
- :mod:`.store`: calibration files, and the structural coefficients scenarios take from them;
- :mod:`.report`: the calibration page; :mod:`.command`: the CLI command.
"""
