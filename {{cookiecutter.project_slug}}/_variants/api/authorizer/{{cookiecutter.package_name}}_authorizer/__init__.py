"""The API's Lambda TOKEN authorizer: it admits a request only with a bearer JWT that the
deploy-time OpenID Connect issuer signed for this API's audience, with the scopes of the method.

Its own package (SAM ``CodeUri: authorizer/``), so PyJWT and cryptography never weigh on the
other functions' package.
"""
