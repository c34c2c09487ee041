package mediation

import (
	"context"
	"database/sql"
	"errors"

	"fengqiao/internal/casework"
	"fengqiao/internal/store"
)

// A mediation case is found by its summary, dispute type and referring
// body too, not only by number and title. ID and phone numbers never go
// into a summary's index: the search tokenizer drops long digit runs.
func init() { casework.RegisterSearchText(CaseType, searchText) }

func searchText(ctx context.Context, tx *store.Tx, caseID int64) ([]string, error) {
	var summary, disputeType, sourceRef, referring string
	err := tx.QueryRow(ctx, `SELECT summary, dispute_type, source_ref, referring_org FROM med_cases WHERE case_id = ?`, caseID).
		Scan(&summary, &disputeType, &sourceRef, &referring)
	if errors.Is(err, sql.ErrNoRows) { // not written yet (casework.Create runs first)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []string{summary, DisputeTypeName(disputeType), referring, sourceRef}, nil
}
