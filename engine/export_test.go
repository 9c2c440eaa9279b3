package engine

// AccountViews is accountViews for the tests outside the package.
var AccountViews = accountViews
