// The operations of a small client app, as Apollo Client code spells them: Apollo's
// generate-persisted-query-manifest reads them from here into the trusted-documents manifest.
import { gql } from "@apollo/client";

export const COMPANY = gql`
  query Company($slug: String!) {
    company(slug: $slug) {
      name
      technologies {
        name
      }
    }
  }
`;

export const SEARCH = gql`
  query Search($words: String!) {
    search(query: $words, first: 3) {
      totalCount
    }
  }
`;
