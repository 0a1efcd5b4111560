"""Who may do what: accounts of the web application's users, their partners and roles, sharing agreements.

The library under `bigcats users ...` and the web's administration routes: both call these functions.
"""
