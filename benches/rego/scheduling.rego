# rules/scheduling.parity in Rego: what workloads need, the env's nodes offer.
package parity

import data.parity.lib
import rego.v1

# ---------------------------------------------------------------- gpu-node-parity

# A container that requests or limits a resource (quantity above zero).
uses_resource(c, resource) if lib.quantity(c.resources.requests[resource]) > 0

uses_resource(c, resource) if lib.quantity(c.resources.limits[resource]) > 0

gpu_workload_envs contains env if {
	some env in lib.order
	some w in lib.workloads[env]
	some c in lib.containers(w)
	uses_resource(c, "nvidia.com/gpu")
}

gpu_node_envs contains env if {
	some env in lib.order
	some n in lib.objects(env, "Node")
	lib.quantity(n.status.allocatable["nvidia.com/gpu"]) > 0
}

violation contains lib.env_finding("gpu-node-parity", env, msg) if {
	some env in gpu_workload_envs
	not env in gpu_node_envs
	msg := sprintf("env %s runs workloads that need nvidia.com/gpu but no node offers it", [env])
}

# ---------------------------------------------------------------- env-node-selector

violation contains lib.finding("env-node-selector", env, w, msg) if {
	some env in lib.order
	some w in lib.workloads[env]
	selected := lib.pod_spec(w).nodeSelector.env
	lib.has(selected)
	selected != env
	msg := sprintf("%s %s selects nodes with env=%v but runs in env %s", [w.kind, lib.name(w), selected, env])
}

# ---------------------------------------------------------------- control-plane-ha

control_plane(n) if lib.has(n.metadata.labels["node-role.kubernetes.io/control-plane"])

control_plane(n) if lib.has(n.metadata.labels["node-role.kubernetes.io/master"])

violation contains lib.env_finding("control-plane-ha", env, msg) if {
	some env in lib.order
	n := count([node | some node in lib.objects(env, "Node"); control_plane(node)])
	n > 0
	n < 3
	msg := sprintf("env %s has %d control-plane nodes", [env, n])
}

# ---------------------------------------------------------------- pvc-storageclass-exists

storage_classes[env] := {lib.name(sc) | some sc in lib.objects(env, "StorageClass")} if some env in lib.order

violation contains lib.finding("pvc-storageclass-exists", env, claim, msg) if {
	some env in lib.order
	some claim in lib.objects(env, "PersistentVolumeClaim")
	class := claim.spec.storageClassName
	lib.has(class)
	class != ""
	not class in storage_classes[env]
	msg := sprintf("claim %s names StorageClass %v, which %s does not have", [lib.name(claim), class, env])
}

# ---------------------------------------------------------------- storageclass-parity

violation contains lib.finding("storageclass-parity", lib.reference, sc, msg) if {
	some sc in lib.objects(lib.reference, "StorageClass")
	missing := lib.missing_in(lib.reference, sc)
	count(missing) > 0
	msg := sprintf("StorageClass %s is missing in %v", [lib.name(sc), missing])
}

# ---------------------------------------------------------------- priorityclass-exists

priority_classes[env] := {lib.name(pc) | some pc in lib.objects(env, "PriorityClass")} if some env in lib.order

violation contains lib.finding("priorityclass-exists", env, w, msg) if {
	some env in lib.order
	some w in lib.workloads[env]
	class := lib.pod_spec(w).priorityClassName
	lib.has(class)
	not startswith(class, "system-")
	not class in priority_classes[env]
	msg := sprintf("%s %s names PriorityClass %v, which %s does not have", [w.kind, lib.name(w), class, env])
}
