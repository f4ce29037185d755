"""The fast lane's registry: every domain's fast routes, keyed by the routes' own method and path template."""

from app.board import fast as board_fast
from app.fastlane.lane import FastRoute
from app.proposals import fast as proposals_fast
from app.voting import fast as voting_fast

ROUTES: tuple[FastRoute, ...] = (*voting_fast.ROUTES, *proposals_fast.ROUTES, *board_fast.ROUTES)
