"""Risk early warning: signals from results, rapid tests and outside notices; alert records."""
