"""A resource server's check of a Gatehouse access token, from the JWKS alone.

Usage: python3 verify.py JWKS_URL TOKEN [INTROSPECTION_URL CLIENT_ID CLIENT_SECRET]

Uses PyJWT's PyJWKClient (pip install "pyjwt[crypto]"), an implementation
independent of Gatehouse's: it fetches the key set, picks the key the token's
`kid` names, and verifies signature, expiry, issuer, audience and token
type, accepting only the asymmetric algorithms Gatehouse signs with (never
HS256, whose secret no resource server holds). The README's Python snippet
is this function.

With a resource server's credentials it then also asks Gatehouse whether
the token is still active (RFC 7662 introspection, standard library only):
a signature stays valid after its session is signed out, introspection
says so at once. The README's introspection snippet is `still_active`.

Prints the token's claims as JSON and exits 0 when the token is valid;
prints why and exits 1 when it is not.
"""

import base64
import json
import sys
import urllib.parse
import urllib.request

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


def still_active(introspection_url: str, client_id: str, client_secret: str, token: str) -> dict:
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    request = urllib.request.Request(
        introspection_url,
        data=urllib.parse.urlencode({"token": token}).encode(),
        headers={"Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def main() -> int:
    if len(sys.argv) not in (3, 6):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        claims = verify(sys.argv[1], sys.argv[2])
    except jwt.PyJWTError as error:
        print(f"rejected: {type(error).__name__}: {error}")
        return 1
    if len(sys.argv) == 6:
        answer = still_active(sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[2])
        if not answer.get("active"):
            print("rejected: inactive: introspection says the token is no longer active")
            return 1
        claims["scope"] = answer.get("scope", "")
    print(json.dumps(claims))
    return 0


if __name__ == "__main__":
    sys.exit(main())
