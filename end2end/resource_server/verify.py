"""A resource server's check of a Gatehouse access token, from the JWKS alone.

Usage: python3 verify.py JWKS_URL TOKEN

Uses PyJWT's PyJWKClient (pip install "pyjwt[crypto]"), an implementation
independent of Gatehouse's: it fetches the key set, picks the key the token's
`kid` names, and verifies signature, expiry, issuer, audience and token
type, accepting only the asymmetric algorithms Gatehouse signs with (never
HS256, whose secret no resource server holds). The README's Python snippet
is this function.

Prints the token's claims as JSON and exits 0 when the token is valid;
prints why and exits 1 when it is not.
"""

import json
import sys

import jwt


def verify(jwks_url: str, token: str) -> dict:
    signing_key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["EdDSA", "ES256"],
        issuer="gatehouse",
        audience="gatehouse-api",
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    if claims.get("type") != "access":
        raise jwt.InvalidTokenError("not an access token")
    return claims


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        claims = verify(sys.argv[1], sys.argv[2])
    except jwt.PyJWTError as error:
        print(f"rejected: {type(error).__name__}: {error}")
        return 1
    print(json.dumps(claims))
    return 0


if __name__ == "__main__":
    sys.exit(main())
