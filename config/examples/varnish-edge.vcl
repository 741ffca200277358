# A Varnish 7 edge in front of catalog-cache, purged by tag with vmod_xkey
# (Debian: apt-get install varnish varnish-modules).
#
#   varnishd -a 127.0.0.1:6081 -f /etc/varnish/varnish-edge.vcl -s malloc,256m
#
# The proxy (config/examples/cdn-varnish.yaml) sends, after every invalidation it applies,
#   PURGE / HTTP/1.1
#   xkey: products product:prod_01 ...          (xkey-softpurge: ... when `soft: true`)
# and this edge drops (or marks stale) every object whose Surrogate-Key named one of them.
vcl 4.1;

import xkey;

backend catalog_cache {
    .host = "127.0.0.1";
    .port = "8080";
    .connect_timeout = 1s;
    .first_byte_timeout = 35s;
}

# Purges are accepted from this host only.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-softpurge) {
            set req.http.n-gone = xkey.softpurge(req.http.xkey-softpurge);
        } elsif (req.http.xkey) {
            set req.http.n-gone = xkey.purge(req.http.xkey);
        } else {
            return (synth(400, "PURGE needs an xkey or xkey-softpurge header"));
        }
        return (synth(200, "Invalidated " + req.http.n-gone + " objects"));
    }
    # Only the public catalog is cached at the edge: never /admin/*, carts, customers, orders.
    if (req.url !~ "^/store/" || req.url ~ "^/store/(carts|customers|orders)") {
        return (pass);
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # A request with credentials is someone's own view: not shared.
    if (req.http.Authorization || req.http.Cookie) {
        return (pass);
    }
    return (hash);
}

sub vcl_backend_response {
    # The proxy tags every cacheable answer; xkey indexes the `xkey` header.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # Answers the proxy did not mark public (errors, bypassed routes) are not kept.
    if (beresp.http.Cache-Control !~ "public" || beresp.http.Set-Cookie) {
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
    }
}

sub vcl_deliver {
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    if (obj.hits > 0) {
        set resp.http.X-Edge-Cache = "HIT";
    } else {
        set resp.http.X-Edge-Cache = "MISS";
    }
}
