"""Sign requests with botocore (an independent SigV4 implementation) for tests/sigv4.rs.

stdin: JSON {"credentials": {"key", "secret", "token"?}, "region", "service", "requests": [
  {"method", "url", "headers": {name: value}, "body_b64"}]} where `headers` are the headers
sembridge sent, its `authorization` and `x-amz-date` included. For each request botocore signs
the same method, URL, body and signed headers at the same instant (taken from `x-amz-date`);
stdout: JSON [{"authorization": what botocore computed, "body_sha256": sha256 of the body}].
"""

import base64
import datetime
import hashlib
import json
import sys
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# botocore adds these itself (host from the URL; date and token from the context/credentials).
ADDED_BY_BOTOCORE = {"host", "x-amz-date", "x-amz-security-token"}


def sign(job, req):
    sent = {k.lower(): v for k, v in req["headers"].items()}
    signed = sent["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    headers = {h: sent[h] for h in signed if h not in ADDED_BY_BOTOCORE}
    body = base64.b64decode(req["body_b64"])
    when = datetime.datetime.strptime(sent["x-amz-date"], "%Y%m%dT%H%M%SZ")
    c = job["credentials"]
    creds = Credentials(c["key"], c["secret"], c.get("token"))
    request = AWSRequest(method=req["method"], url=req["url"], headers=headers, data=body)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        botocore.auth.SigV4Auth(creds, job["service"], job["region"]).add_auth(request)
    return {
        "authorization": request.headers["Authorization"],
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }


def main():
    job = json.load(sys.stdin)
    json.dump([sign(job, r) for r in job["requests"]], sys.stdout)


if __name__ == "__main__":
    main()
