"""The web app: one router per audience (teacher, publishing, review, consent, admin) and a JSON API.

Routes are thin: they check who is asking (`web.auth`), call one service in `models/`, hand slow
work to the worker (`web.tasks`) after the commit, and render a template.
"""
