"""One router per audience; each route names the roles it admits (`web.auth.allow`)."""
