"""Views of scorecards: terminal, HTML, gradebook, leaderboard, practice history."""
