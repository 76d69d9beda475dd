package sqlstore

import "hash/maphash"

// quotaKeysPerRow is how many keys of quota rows that exist a store remembers for
// each of Settings.RememberedRows: a key is held as a hash of eight bytes, in less
// memory than the ID it stands for, and a batch whose rows are not all remembered
// to exist tries to create them, an attempt that fails and runs again when one
// exists (see insertFinalQuotas).
const quotaKeysPerRow = 4

// quotaKeys remembers the quota rows that exist, for Ingest (see quotasToCreate),
// each by a 64-bit hash of its ID (in a hashSet, which tells apart all but its
// lowest two bits). Two IDs of one hash are both taken to exist once either is
// remembered: a row taken so that is missing is found so when its batch locks its
// rows, and created then (see lockQuotas), so the results are the same, only
// reached more slowly.
type quotaKeys struct {
	seed maphash.Seed
	set  *hashSet
}

func newQuotaKeys(size int) *quotaKeys {
	return &quotaKeys{seed: maphash.MakeSeed(), set: newHashSet(size)}
}

// has reports whether the row of id is remembered to exist.
func (k *quotaKeys) has(id string) bool { return k.set.has(maphash.String(k.seed, id)) }

// remember records that the rows of ids exist.
func (k *quotaKeys) remember(ids []string) {
	hashes := make([]uint64, len(ids))
	for i, id := range ids {
		hashes[i] = maphash.String(k.seed, id)
	}
	k.set.remember(hashes)
}
