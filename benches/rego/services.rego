# rules/services.parity in Rego: services, configuration and image promotion.
package parity

import data.parity.lib
import rego.v1

# ---------------------------------------------------------------- service-port-parity

# The (port, protocol) pairs of a Service; protocol defaults to TCP.
port_set(s) := {[p.port, protocol(p)] | some p in s.spec.ports}

protocol(p) := p.protocol if {
	lib.has(p.protocol)
} else := "TCP"

violation contains lib.finding("service-port-parity", env, s, msg) if {
	some env in lib.order
	env != lib.reference
	some s in lib.objects(env, "Service")
	ref := lib.index[lib.reference].Service[lib.key(s)]
	port_set(s) != port_set(ref)
	msg := sprintf("Service %s exposes %v, %s exposes %v", [lib.name(s), port_set(s), lib.reference, port_set(ref)])
}

# ---------------------------------------------------------------- image-promotion

# Every image the env before the reference env runs. With a single env
# there is no env before it and, as in parity, nothing to check.
previous_images := {c.image |
	some w in lib.workloads[lib.previous(lib.reference)]
	some c in lib.containers(w)
}

violation contains lib.finding("image-promotion", lib.reference, w, msg) if {
	count(lib.order) > 1
	some w in lib.workloads[lib.reference]
	some c in lib.containers(w)
	not c.image in previous_images
	msg := sprintf("%s %s runs an image that never ran in the env before %s", [w.kind, lib.name(w), lib.reference])
}

# ---------------------------------------------------------------- configmap-keys-parity

data_keys(cm) := {k | some k, _ in cm.data}

violation contains lib.finding("configmap-keys-parity", env, cm, msg) if {
	some env in lib.order
	env != lib.reference
	some cm in lib.objects(env, "ConfigMap")
	ref := lib.index[lib.reference].ConfigMap[lib.key(cm)]
	data_keys(cm) != data_keys(ref)
	msg := sprintf("ConfigMap %s has keys %v, %s has %v", [lib.name(cm), data_keys(cm), lib.reference, data_keys(ref)])
}

# ---------------------------------------------------------------- deployment-parity

violation contains lib.finding("deployment-parity", lib.reference, d, msg) if {
	some d in lib.objects(lib.reference, "Deployment")
	missing := lib.missing_in(lib.reference, d)
	count(missing) > 0
	msg := sprintf("Deployment %s/%s is missing in %v", [lib.namespace(d), lib.name(d), missing])
}

# ---------------------------------------------------------------- no-latest-images

# `:latest`, or no tag and no digest (a registry port is not a tag).
floating(c) if endswith(c.image, ":latest")

floating(c) if {
	not regex.match(`:[^/]+$`, c.image)
	not contains(c.image, "@")
}

violation contains lib.finding("no-latest-images", env, w, msg) if {
	some env in lib.order
	some w in lib.workloads[env]
	some c in lib.containers(w)
	floating(c)
	msg := sprintf("%s %s runs an image without a pinned tag or digest", [w.kind, lib.name(w)])
}
