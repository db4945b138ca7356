package deflate

// CheckResponse exposes checkResponse to the tests: why a well-formed
// response does not answer an offer, for offers ClientOffers cannot make.
var CheckResponse = checkResponse
