"""Evaluating the alert rules after a batch of events: the pupils' state, then raises and clears.

`pupil_state` applies marks to each pupil's marks and counters (`upserts` writes them in bulk),
`evaluate` runs the rules of `alerts.rules` over what changed, looking around the changed days
(`neighbourhood`), and `open_alerts` writes the raises and clears with their events and
`evidence`.
"""
