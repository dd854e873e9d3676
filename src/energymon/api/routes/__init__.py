"""One router per resource; each route only translates between HTTP and the Monitor."""
